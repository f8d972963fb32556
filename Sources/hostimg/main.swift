import HostImgCLI

HostImg.main()
