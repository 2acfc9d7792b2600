from datasync_emulator import main

main()
