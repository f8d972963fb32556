import HostImgCLI
await HostImg.main()
