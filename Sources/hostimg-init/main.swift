// The initrd's /init: a doorway into HostImgInit, which documents the contract.
// Nothing but these calls: top-level code is main-actor code, and a closure here would link
// Swift's concurrency runtime and Dispatch into the statically linked init for its isolation check.
import CInitStartup
import HostImgInit

hostimg_init_startup_finish()
Boot.main(arguments: CommandLine.arguments)
