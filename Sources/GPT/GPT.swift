// The GPT module: being written (issue 4).
