import { formatBytes } from '../util/format-bytes.js';
import { debug, info, write } from './output.js';

export interface TransferEvent {
  phase: 'upload' | 'skip' | 'mount';
  digest: string;
  sent: number;
  total: number;
}


/**
 * Blob transfer progress on stderr. On a terminal, one line per large blob redrawn in place (at
 * most 10 times a second) and ending with a plain "uploaded" line; elsewhere only the plain lines.
 */
export function uploadProgress(options: { tty: boolean; largeBytes?: number }): (event: TransferEvent) => void {
  const large = options.largeBytes ?? 4 * 1024 * 1024;
  const drawn = new Map<string, number>();
  let drawing = false;
  const line = (text: string) => {
    if (drawing) write('stderr', '\r\x1b[2K');
    drawing = false;
    info(text);
  };
  return (event) => {
    const short = event.digest.slice(7, 19);
    if (event.phase !== 'upload') {
      debug(`${event.phase === 'skip' ? 'exists' : 'mounted'} ${short}`);
      return;
    }
    if (event.sent === event.total) {
      line(`  uploaded ${short} (${formatBytes(event.total)})`);
      return;
    }
    if (!options.tty || event.total < large) return;
    const now = Date.now();
    if (now - (drawn.get(short) ?? 0) < 100) return;
    drawn.set(short, now);
    const percent = Math.floor((event.sent / event.total) * 100);
    write('stderr', `\r\x1b[2K  uploading ${short} ${formatBytes(event.sent)} / ${formatBytes(event.total)} (${percent}%)`);
    drawing = true;
  };
}
