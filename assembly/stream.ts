// Stream control and call status, shared by HTTP and TCP contexts.

import { proxy_close_stream, proxy_continue_stream, proxy_get_status } from "./abi/imports";
import { clearOut, outExtra, outPtr, outSize, readOutPtr, setLastStatus, takeOutString } from "./abi/memory";
import { Status, StreamType } from "./constants";

/** Resumes a paused stream of the effective context. */
export function continueStream(stream: StreamType): Status {
  return <Status>proxy_continue_stream(<u32>stream);
}

/** Closes (resets) a stream of the effective context. */
export function closeStream(stream: StreamType): Status {
  return <Status>proxy_close_stream(<u32>stream);
}

/** Status code and message of an HTTP call (in onHttpCallResponse) or a gRPC call (in onGrpcClose). */
export class CallStatus {
  constructor(public code: u32, public message: string, public status: Status) {}
}

export function getStatus(): CallStatus {
  clearOut();
  // code -> extra slot, message pointer/size -> data/size slots
  const status = setLastStatus(proxy_get_status(outExtra(), outPtr(), outSize()));
  if (status != Status.Ok) {
    const ptr = readOutPtr();
    if (ptr != 0) heap.free(ptr);
    return new CallStatus(0, "", status);
  }
  const code = load<u32>(outExtra());
  return new CallStatus(code, takeOutString(), status);
}
