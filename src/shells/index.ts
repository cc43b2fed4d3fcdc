// Placeholder until the shell renderers land.
