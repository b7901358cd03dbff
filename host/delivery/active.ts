// The active policy of an agent: one engine at a time, swapped atomically. A request reads
// `engine` once when it arrives and finishes on it, whatever is swapped in meanwhile.
import type { Engine, NodeProfile } from "../engine/engine.ts";

export interface Activation {
  engine: Engine;
  activatedAt: string;
  source: string;
}

export class ActivePolicy {
  private current: Activation;
  private readonly listeners: ((a: Activation) => void)[] = [];
  private profile: NodeProfile | undefined;

  constructor(engine: Engine, source: string, node?: NodeProfile, activatedAt = new Date().toISOString()) {
    this.profile = node;
    this.current = { engine: engine.withNode(node), activatedAt, source };
  }

  get engine(): Engine {
    return this.current.engine;
  }
  get node(): NodeProfile | undefined {
    return this.profile;
  }
  get activation(): Activation {
    return this.current;
  }

  /** Makes `engine` the active one (with this node's profile). */
  activate(engine: Engine, source: string, activatedAt = new Date().toISOString()): Activation {
    this.current = { engine: engine.withNode(this.node), activatedAt, source };
    for (const l of this.listeners) l(this.current);
    return this.current;
  }

  /** A new node profile (probed again): the active policy answers for it from now on. */
  setNode(node: NodeProfile | undefined): void {
    this.profile = node;
    this.current = { ...this.current, engine: this.current.engine.withNode(node) };
  }

  onActivate(listener: (a: Activation) => void): void {
    this.listeners.push(listener);
  }
}
