/// QEMU Machine Protocol (QMP): the JSON control protocol a QEMU serves on `-qmp unix:PATH`.
public enum QMP {}
