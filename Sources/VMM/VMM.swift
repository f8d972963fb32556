import QMP

/// VM preservation across the host's kexec (AGENT.md, "VM preservation").
public enum VMM {}
