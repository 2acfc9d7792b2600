// The sync-throughput benchmark; see scripts/bench.sh.
print("bench-sync: not written yet")
