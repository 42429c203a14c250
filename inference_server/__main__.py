from inference_server.cli import main

raise SystemExit(main())
