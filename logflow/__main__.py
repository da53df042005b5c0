from logflow.cli import main

main()
