// The Bundle module: being written (issue 4).
