"""PyTorch's side of tools/bench/forward_vs_torch.py: a long-lived process that loads one model and
times one case per request (the counterpart of lens4j's dev.lens4j.bench.ForwardWorker), so that the
coordinator can alternate lens4j and PyTorch on the same case a few seconds apart.

Protocol: one JSON object per line on stdin, one JSON line per request on stdout.

  {"op": "load", "model": "gpt2-plain"}         GPT-2 small's shape, random weights, written in plain torch
                                                 the efficient way (tools/bench/torch_forward.py)
  {"op": "load", "model": "gpt2-tl"}            TransformerLens 2.18's HookedTransformer, GPT-2 small's config
  {"op": "load", "model": "/hf/folder", "dtype": "float32"}
                                                 a Hugging Face folder through transformers' AutoModelForCausalLM
                                                 (its default attention implementation), in that dtype
  {"op": "forward", "batch": 1, "pos": 128, "threads": 1, "runs": 3}   logits [batch, pos, d_vocab]
  {"op": "cache", ...}                          gpt2-plain: every TL hook cloned into a dict; gpt2-tl: run_with_cache
  {"op": "decode", "prompt": 16, "new": 32, "threads": 1, "runs": 3}   greedy KV-cache decoding, tokens/s
  {"op": "quit"}

The first request of a case checks the result (finite logits; decoding picks what a full pass picks)
and warms it up. Answers hold each run's wall-clock and process CPU seconds. Under torch.inference_mode,
with torch.set_num_threads per request and OMP_WAIT_POLICY=PASSIVE unless the caller set it.
"""

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

import benchenv  # noqa: E402
import torch_forward as tf  # noqa: E402


class Model:
    """One loaded model: forward(tokens), cache(tokens), step functions for decoding."""

    def __init__(self, name, dtype):
        self.name = name
        self.kind = "hf"
        if name == "gpt2-plain":
            self.kind = "plain"
            self.w = tf.make_weights()
            self.vocab = tf.D_VOCAB
        elif name == "gpt2-tl":
            self.kind = "tl"
            self.tl = tf.tl_model()
            if self.tl is None:
                raise RuntimeError("TransformerLens is not installed")
            self.vocab = tf.D_VOCAB
        else:
            import transformers
            self.hf = transformers.AutoModelForCausalLM.from_pretrained(name, dtype=getattr(torch, dtype)).eval()
            self.vocab = self.hf.config.vocab_size
            self.attn = getattr(self.hf.config, "_attn_implementation", None)

    def forward(self, tokens):
        if self.kind == "plain":
            return tf.forward(self.w, tokens)
        if self.kind == "tl":
            return self.tl(tokens, return_type="logits")
        return self.hf(input_ids=tokens).logits

    def cache(self, tokens):
        if self.kind == "plain":
            return tf.run_with_cache(self.w, tokens)[0]
        if self.kind == "tl":
            return self.tl.run_with_cache(tokens)[0]
        raise RuntimeError("no run_with_cache for a Hugging Face model")

    def decode(self, prompt, steps):
        """Greedy tokens after the prompt: (the prompt's pass, then the timed steps) as two closures."""
        state = {}

        def prefill():
            if self.kind == "plain":
                state["kv"] = [[None, None] for _ in range(tf.N_LAYERS)]
                logits = tf.forward(self.w, prompt, past_kv=state["kv"], last_only=True)
            else:
                out = self.hf(input_ids=prompt, use_cache=True)
                state["kv"] = out.past_key_values
                logits = out.logits
            state["tokens"] = [logits[:, -1, :].argmax(-1, keepdim=True)]

        def run_steps():
            for _ in range(steps - 1):
                nxt = state["tokens"][-1]
                if self.kind == "plain":
                    logits = tf.forward(self.w, nxt, past_kv=state["kv"], last_only=True)
                else:
                    out = self.hf(input_ids=nxt, past_key_values=state["kv"], use_cache=True)
                    state["kv"] = out.past_key_values
                    logits = out.logits
                state["tokens"].append(logits[:, -1, :].argmax(-1, keepdim=True))

        return prefill, run_steps, state


def timed(fn):
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main():
    model = None
    checked = set()
    print(json.dumps({"ready": True, "torch": benchenv.torch_info(torch)}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        op = req.get("op")
        if op == "quit":
            break
        try:
            if op == "load":
                model = None
                checked.clear()
                t0 = time.perf_counter()
                with torch.inference_mode():
                    model = Model(req["model"], req.get("dtype", "float32"))
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
                print(json.dumps({"model": req["model"], "load_s": round(time.perf_counter() - t0, 3), "max_rss_mb": rss,
                                  "attn_implementation": getattr(model, "attn", None)}), flush=True)
                continue
            torch.set_num_threads(int(req.get("threads", 1)))
            runs, warmup = int(req.get("runs", 3)), int(req.get("warmup", 2))
            with torch.inference_mode():
                if op in ("forward", "cache"):
                    g = torch.Generator().manual_seed(2)
                    tokens = torch.randint(0, model.vocab, (int(req["batch"]), int(req["pos"])), generator=g)
                    fn = (lambda: model.forward(tokens)) if op == "forward" else (lambda: model.cache(tokens))
                    # per thread count, as lens4j's worker: a case met again on more threads is warmed up again
                    key = (op, int(req["batch"]), int(req["pos"]), torch.get_num_threads())
                    if key not in checked:
                        logits = fn()
                        assert torch.isfinite(logits).all(), "non-finite logits"
                        for _ in range(warmup):
                            fn()
                        checked.add(key)
                    times = [timed(fn) for _ in range(runs)]
                    print(json.dumps({"runs_wall_s": [round(t[0], 5) for t in times],
                                      "runs_cpu_s": [round(t[1], 5) for t in times]}), flush=True)
                elif op == "decode":
                    n_prompt, steps = int(req.get("prompt", 16)), int(req.get("new", 32))
                    prompt = torch.randint(0, model.vocab, (1, n_prompt), generator=torch.Generator().manual_seed(3))
                    prefill, run_steps, state = model.decode(prompt, steps)
                    key = ("decode", n_prompt, torch.get_num_threads())
                    if key not in checked:
                        prefill()
                        run_steps()
                        gen = torch.cat([prompt] + state["tokens"], dim=1)
                        n = min(8, steps - 1)
                        full = model.forward(gen[:, :n_prompt + n - 1])
                        chosen = gen[0, n_prompt:n_prompt + n]
                        if full.dtype == torch.float32:
                            assert torch.equal(full[0, n_prompt - 1:].argmax(-1), chosen), \
                                "KV-cache decoding disagrees with full passes"
                        else:
                            # bfloat16: the cached and the full pass round differently, so a near tie may go
                            # either way; the chosen token must be within bfloat16's round-off of the best
                            rows = full[0, n_prompt - 1:].float()
                            gap = rows.max(-1).values - rows.gather(1, chosen[:, None])[:, 0]
                            assert (gap <= 0.02 * rows.abs().max()).all(), \
                                "KV-cache decoding disagrees with full passes beyond bfloat16 round-off: %s" % gap.tolist()
                        for _ in range(warmup):
                            prefill()
                            run_steps()
                        checked.add(key)
                    times = []
                    for _ in range(runs):
                        prefill()
                        times.append(timed(run_steps))
                    print(json.dumps({"runs_wall_s": [round(t[0], 5) for t in times],
                                      "runs_cpu_s": [round(t[1], 5) for t in times], "tokens": steps - 1}), flush=True)
                else:
                    raise ValueError("unknown op %r" % op)
        except Exception as e:  # report and keep serving
            print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}), flush=True)


if __name__ == "__main__":
    main()
