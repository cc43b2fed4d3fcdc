// A minimal PowerShell for the tests: PowerShell's own console host (what
// pwsh runs), started from the Microsoft.PowerShell.SDK package. It takes
// pwsh's arguments: -NoProfile, -NonInteractive, -Command, -File, ...
using Microsoft.PowerShell;

internal static class Program
{
    private static int Main(string[] args) => ConsoleShell.Start(bannerText: string.Empty, helpText: string.Empty, args);
}
