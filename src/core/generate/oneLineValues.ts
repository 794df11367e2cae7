import { controlCharacterIn } from '../config/characters';
import { formatPath, type PathSegment } from '../config/document';
import { GoDeployError, ExitCode } from '../errors';
import type { GenerateModel } from './model';

/**
 * Defense in depth for every generator: a model built without validation may still hold a
 * value with a line break or another control character, which would end its directive and
 * start one of its own. Refuses any such string in the model, except the service's and its
 * processes' environment values (each generator escapes or refuses those in its own syntax).
 */
export function assertOneLineValues(model: GenerateModel, file: string): void {
  visit(model, []);

  function visit(value: unknown, path: PathSegment[]): void {
    if (typeof value === 'string') {
      const found = controlCharacterIn(value);
      if (found) {
        throw new GoDeployError(
          `cannot write the ${file}: ${formatPath(path)} ${JSON.stringify(value)} holds ${found.name}, which would break out of its line`,
          {
            exitCode: ExitCode.usage,
            hint: 'run `godeploy validate`: it points at the value in godeploy.yaml',
          },
        );
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...path, i]));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'env' && (path.length === 0 || (path.length === 2 && path[0] === 'processes')))
          Object.keys(v as object).forEach((name) => visit(name, [...path, 'env']));
        else visit(v, [...path, k]);
      }
    }
  }
}
