// Which RootContext subclass serves which root id.

import { RootContext } from "./context";
import { getPropertyString } from "./properties";
import { logError, logWarn } from "./log";

export type RootContextFactory = (contextId: u32) => RootContext;

class RootRegistration {
  constructor(public rootId: string, public factory: RootContextFactory) {}
}

const registrations = new Array<RootRegistration>();

/**
 * Registers the plugin's root context. `rootId` "" (the default) serves any root id; Istio sets the
 * root id to the WasmPlugin's pluginName, so "" is what a single-plugin module wants. With several
 * registrations, the one whose id equals the host's root id wins, then the "" one.
 * Call it at the top level of the plugin's assembly/index.ts.
 */
export function registerRootContext(factory: RootContextFactory, rootId: string = ""): void {
  registrations.push(new RootRegistration(rootId, factory)); // a later one for the same id wins
}

/** The root id the host uses for this plugin ("" when it has none). */
export function getRootId(): string {
  const id = getPropertyString(["plugin_root_id"]);
  return id !== null ? id : "";
}

/**
 * Creates the root context for `contextId`: the registration for the host's root id, else the
 * "" one. A root id that matches neither never fails silently: a single registration serves it
 * anyway with a WARN; otherwise an ERROR is logged and traffic passes through untouched.
 */
export function createRootContext(contextId: u32): RootContext {
  const rootId = getRootId();
  const n = registrations.length;
  let chosen: RootRegistration | null = null;
  for (let pass = 0; pass < 2 && chosen === null; pass++) {
    const wanted = pass == 0 ? rootId : "";
    for (let i = 0; i < n; i++) {
      const r = unchecked(registrations[i]);
      if (r.rootId == wanted) chosen = r; // the latest registration wins
    }
  }
  if (chosen === null && n == 1) {
    chosen = unchecked(registrations[0]);
    logWarn("root id " + rootId + " not registered; using " + chosen.rootId);
  }
  let root: RootContext;
  if (chosen !== null) {
    root = chosen.factory(contextId);
  } else {
    logError("no root context registered for root id " + rootId + "; passing through");
    root = new RootContext(contextId);
  }
  root.rootId = rootId;
  return root;
}
