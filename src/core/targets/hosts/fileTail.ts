// A log file on a host (supervisor's program logs, a `type: local` service's file): tail,
// started at the byte where the last `lines` lines begin, or where a lost connection left
// off. The offset is counted from the bytes received; the file's inode tells a reconnect
// whether it is still the same file (else, rotated or truncated, it starts at its top).
import { shArgv } from '../../remote/quote';
import { FOLLOW_UNTIL_EOF, type CommandSource } from '../../logs/follow';
import { LineSplitter, type LogLine } from '../../logs/logLine';

/**
 * $1 file, $2 lines, $3 offset to resume at ('' for the last $2 lines), $4 its inode then,
 * $5 1 to follow. Prints "godeploy-start INODE OFFSET" on stderr first, then the file from
 * OFFSET on stdout; with $5 = 1 it follows the name (tail -F: across rotation). The last
 * lines are found in the file's last MiB, read once up to the size taken at the start.
 */
export const TAIL_FILE = `f=$1
ino=$(stat -c %i "$f" 2>/dev/null) || ino=
size=$(stat -c %s "$f" 2>/dev/null) || size=0
if [ -z "$ino" ]; then start=0
elif [ -n "$3" ] && { [ -z "$4" ] || [ "$4" = "$ino" ]; } && [ "$size" -ge "$3" ]; then start=$3
elif [ -n "$3" ]; then start=0; echo "godeploy-replaced" >&2
else
  from=$(( size > 1048576 ? size - 1048576 : 0 ))
  back=$(tail -c +$((from + 1)) "$f" | head -c $((size - from)) | tail -n "$2" | wc -c)
  start=$((size - back))
fi
echo "godeploy-start $ino $start" >&2
if [ "$5" = 1 ]; then exec tail -c +$((start + 1)) -F "$f"; fi
[ -n "$ino" ] && tail -c +$((start + 1)) "$f" | head -c $((size - start))
true`;

export function fileSource(host: string, file: string, o: { lines: number; follow: boolean }): CommandSource {
  // The position is base (the start offset the script reported) plus the bytes received
  // since: stdout and stderr are separate streams, so either may come first.
  let base: number | undefined;
  let received = 0;
  let inode = '';
  let split = new LineSplitter();
  const lines = (raw: string[]): LogLine[] => raw.map((text) => ({ host, text }));
  const position = (): number | undefined => (base === undefined ? undefined : base + received);
  return {
    host,
    what: `the file ${file}`,
    argv: () => {
      split = new LineSplitter();
      base = position();
      received = 0;
      const args = [file, String(o.lines), base === undefined ? '' : String(base), inode, o.follow ? '1' : '0'];
      return o.follow ? shArgv(FOLLOW_UNTIL_EOF, 'sh', '-c', TAIL_FILE, 'sh', ...args) : shArgv(TAIL_FILE, ...args);
    },
    stdout: (chunk) => {
      received += chunk.length;
      return lines(split.push(chunk));
    },
    stderr: (line) => {
      const start = /^godeploy-start (\S*) (\d+)$/.exec(line);
      if (start) {
        inode = start[1];
        base = Number(start[2]);
        return [];
      }
      if (line === 'godeploy-replaced')
        return [{ host, notice: true, text: `${file} was replaced or truncated meanwhile: reading the new one from its start` }];
      // tail -F: a new file under the name (rotation), or this one cut short: counted from its top.
      if (/has been replaced|file truncated|has appeared/.test(line)) {
        base = 0;
        received = 0;
        inode = '';
        return [{ host, notice: true, text: line.replace(/^tail: /, '') }];
      }
      return /has become inaccessible|cannot open .* for reading|No such file/.test(line) ? [{ host, notice: true, text: line.replace(/^tail: /, '') }] : [];
    },
    end: () => lines(split.end()),
    resumePoint: () => (position() === undefined ? undefined : `at byte ${position()} of ${file}`),
  };
}
