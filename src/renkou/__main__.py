from renkou.cli import main

raise SystemExit(main())
