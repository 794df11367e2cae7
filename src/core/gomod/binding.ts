/**
 * What an identifier refers to, shared by the program model (package, import and func bindings)
 * and block scoping (parameters and local declarations).
 */
import type { GoNode } from './syntax';

/** What an identifier refers to: the identifier that declares it, and how. */
export interface Binding {
  decl: GoNode;
  kind: 'var' | 'const' | 'param' | 'func' | 'import';
  /** For params: the function (declaration or literal) and the parameter's position. */
  fn?: GoNode;
  index?: number;
  importPath?: string;
}
