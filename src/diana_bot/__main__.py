import sys

from diana_bot.cli import main

sys.exit(main())
