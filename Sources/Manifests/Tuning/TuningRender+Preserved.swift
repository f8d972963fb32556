import HostTuning

extension TuningRender {
    public static let preservedService = "hostimg-preserved.service"
    public static let preservedServicePath = "/usr/lib/systemd/system/" + preservedService

    /// `tuning.preservedMemory`: `memmap=SIZE!OFFSET` on the command line (KernelCommandLine),
    /// the region in the promises, and `hostimg-preserved.service`, which mounts the region's
    /// DAX file system early in every boot, before sysinit.target and so before anything that
    /// starts a VM (the agent's restore runs from hostimg-health.service, after
    /// multi-user.target).
    mutating func preserved(_ tuning: Tuning) {
        guard let region = tuning.preservedMemory else { return }
        let path = Tuning.PreservedMemory.mountPath
        promises.preserved = region.promise
        let text = Self.banner(region.location, "tuning.preservedMemory") + """
            [Unit]
            Description=hostimg preserved memory: the memmap= region's DAX file system at \(path)
            Documentation=file:\(TuningPromises.path)
            DefaultDependencies=no
            After=local-fs.target systemd-udev-trigger.service systemd-modules-load.service
            Before=sysinit.target shutdown.target
            Conflicts=shutdown.target

            [Service]
            Type=oneshot
            RemainAfterExit=yes
            ExecStart=\(Self.agent) preserved mount
            TimeoutStartSec=5min

            [Install]
            WantedBy=sysinit.target

            """
        add(Self.preservedServicePath, text, why: "mounts the preserved region (formatting it only when it holds no ext4) early in every boot",
            source: region.location)
        link(Self.unitDirectory + "sysinit.target.wants/" + Self.preservedService, to: Self.preservedServicePath,
             why: "runs in every boot", source: region.location)
        note("tuning.preservedMemory: \(region.summary)",
             ["command line: \(region.kernelParameter)", Self.preservedServicePath, TuningPromises.path],
             why: "the kernel never uses the range as RAM, so guest memory kept there as DAX files at \(path) survives a kexec into a slot with the same parameter; pmem and ext4 modules are kept",
             source: region.location)
    }
}
