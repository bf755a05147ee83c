from seikyu.cli.main import main

raise SystemExit(main())
