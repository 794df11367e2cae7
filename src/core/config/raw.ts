// godeploy.yaml as parsed, before (or beside) validation: the semantic rules read it field
// by field and check each value's shape themselves.

/** A mapping of the parsed document: any shape, read defensively. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- unvalidated YAML, every field checked where it is read
export type RawObject = Record<string, any>;

/** A mapping (not null, not a list). */
export function isObject(v: unknown): v is RawObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
