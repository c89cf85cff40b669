import sys

from posec3d.cli import main

sys.exit(main())
