"""The long-lived worker processes of the alternating comparisons (tools/bench/matmul_vs_torch.py,
tools/bench/forward_vs_torch.py): each answers one JSON line per JSON request line."""

import json
import subprocess


class Worker:
    """A process that answers one JSON line per JSON request line."""

    def __init__(self, name, cmd, env=None):
        self.name = name
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, bufsize=1)
        self.hello = self._read()

    def _read(self):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("%s ended unexpectedly (exit %s)" % (self.name, self.proc.poll()))
            line = line.strip()
            if line.startswith("{"):
                answer = json.loads(line)
                if "error" in answer:
                    raise RuntimeError("%s: %s" % (self.name, answer["error"]))
                return answer

    def ask(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self, timeout=120):
        try:
            self.proc.stdin.write('{"op": "quit"}\n')
            self.proc.stdin.flush()
        except OSError:
            pass
        self.proc.wait(timeout=timeout)
