"""Run every benchmark: `python -m bench`."""

from bench import fleet_bench, import_bench, sync_bench

if __name__ == "__main__":
    import_bench.main()
    print()
    sync_bench.main()
    print()
    fleet_bench.main()
