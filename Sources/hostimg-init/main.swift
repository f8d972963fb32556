// The initrd's /init: a doorway into HostImgInit, which documents the contract.
import Glibc
import HostImgInit

// It mounts over /dev, /proc and /sys and ends by replacing the root: never outside an initrd.
guard getpid() == 1 else {
    let message = "hostimg-init: this is the initrd's /init and runs only as PID 1 (the kernel starts it); it does nothing here\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(2)
}
Boot.main(arguments: CommandLine.arguments)
