"""The live feeds' doors: coach positions in over JSON, GTFS-Realtime and JT/T 808 (issue 16)."""
