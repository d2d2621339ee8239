"""Child process of test_records_crash.py: report incidents in a loop until killed.

Usage: python crash_reporter.py URL THREADS REPORTS_PER_THREAD

Opens the store (applying migrations), then each thread reports incidents, some with an idempotency
key, and prints ``<number>`` once ``report`` has returned, i.e. once the incident is acknowledged
(committed). The parent SIGKILLs this process mid-burst and checks every printed number survived.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime

from api.records import open_store


def main() -> None:
    url, threads, reports_per_thread = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = open_store(url)
    print("ready", flush=True)
    printing = threading.Lock()

    def burst(thread: int) -> None:
        for index in range(reports_per_thread):  # bounded: the parent normally kills us long before
            key = f"crash-{thread}-{index}" if index % 2 else None
            report = {"vehicle_id": f"C{thread:02d}", "location": "G1 K78 toward Changchun", "passengers": 45}
            record, _ = store.report(report, datetime(2026, 1, 5, 7, 40), f"desk-{thread}", key)
            with printing:
                print(record.number, flush=True)

    workers = [threading.Thread(target=burst, args=(thread,)) for thread in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    store.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
