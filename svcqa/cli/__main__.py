from svcqa.cli import main

main()
