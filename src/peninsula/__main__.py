from peninsula.cli import main

raise SystemExit(main())
