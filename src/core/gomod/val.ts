/**
 * The value an expression can have (default and how it is set from outside), and the evaluator the
 * library readers (viper, urfave/cli, struct tags) call back into. Kept apart from values.ts so the
 * readers and the evaluator that dispatches to them don't import each other.
 */
import type { FlagReg } from './envflags';
import type { Program } from './program';
import type { GoNode } from './syntax';
import type { Finding, PortSetting } from './types';

export interface Val {
  str?: string;
  num?: number;
  /** The value is a host:port address whose port part is this. */
  port?: Val;
  /** How the value can be set from outside, best first (flags are marked `address` by the caller). */
  settings: PortSetting[];
  /** Where the default value is written. */
  source: Finding | null;
  /** How the value was found, for reasons. */
  why: string;
  /** A call that may overwrite the value at run time without a known flag or variable (yaml.Unmarshal(data, &cfg)). */
  changedBy?: string;
}

/** What a library reader needs of the evaluator (implemented by Values). */
export interface Evaluator {
  readonly p: Program;
  eval(e: GoNode | undefined, depth?: number): Val | null;
  flag(reg: FlagReg, depth: number): Val;
}
