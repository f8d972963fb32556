// The EROFS module: being written (issue 4).
