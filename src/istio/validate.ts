import { checkTrafficExtension } from './check-trafficextension.js';
import { checkWasmPlugin } from './check-wasmplugin.js';
import type { PluginKind } from './kinds.js';
import type { ResourceCheck } from './problem.js';
import type { TrapContext } from './traps.js';
import type { IstioTarget } from './versions.js';

/** A plugin resource of either kind checked for the target Istio: errors a cluster would refuse, warnings for what breaks at run time. */
export function checkPluginResource(kind: PluginKind, doc: unknown, target: IstioTarget, context: TrapContext = {}): ResourceCheck {
  return kind === 'TrafficExtension' ? checkTrafficExtension(doc, target, context) : checkWasmPlugin(doc, target, context);
}
