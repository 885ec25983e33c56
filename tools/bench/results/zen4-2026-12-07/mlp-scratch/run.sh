#!/bin/sh
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd /tmp/mlp
for r in 1 2; do
  for gc in parallel g1; do
    for side in new3 new4; do
      if [ $gc = g1 ]; then extra="-jvmArgsAppend=--add-modules=jdk.incubator.vector -Xmx10g"; set -- -jvmArgsAppend "--add-modules jdk.incubator.vector -Xmx10g"; else set --; fi
      $J -jar /tmp/bench-$side.jar 'ForwardBenchmark.forward$' -p shape=8x128,1x1024 -p threads=1 -f 1 -wi 2 -w 3 -i 4 -r 3 -prof gc "$@" -rf json -rff $side-$gc-$r.json > $side-$gc-$r.log 2>&1
    done
  done
done
echo done > finished
