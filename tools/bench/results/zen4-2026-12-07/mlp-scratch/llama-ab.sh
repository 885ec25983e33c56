#!/bin/sh
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /tmp/mlp
for r in 1 2; do
  for side in new3 new4; do
    printf '%s\n' "{\"op\": \"load\", \"model\": \"$HOME/.cache/lens4j/bench-models/llama-f32\"}" \
      '{"op": "forward", "batch": 8, "pos": 128, "threads": 1, "runs": 3, "warmup": 1}' '{"op": "quit"}' \
      | $J --add-modules jdk.incubator.vector -Xmx10g -Xlog:gc:file=llama-$side-$r.gc.log -cp /tmp/bench-$side.jar dev.lens4j.bench.ForwardWorker > llama-$side-$r.txt 2>/dev/null
  done
done
echo done > llama-finished
