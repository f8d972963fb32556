// The DMVerity module: being written (issue 4).
