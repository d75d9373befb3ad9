from meiji.cli import main

main()
