"""`python -m registry.cli`: the same console script (tests and spawned processes run it so)."""

from registry.cli.main import main

if __name__ == "__main__":
    main()
