# kops-mfa shell integration for PowerShell 7 (and Windows PowerShell 5.1).
# In $PROFILE:
#
#   kops-mfa init powershell | Out-String | Invoke-Expression
#
# kops-login, kops-logout, kops_mfa_prompt, completion; with
# $env:KOPS_MFA_AUTO_REFRESH = '1' or 'prompt', the kops wrapper and the
# prompt hook. What each does and why it is written so: docs/shells.md.

$global:_kops_mfa_header = '# kops-mfa statements v1'
# The key ID of a session whose renewal needs a code, or found STS
# unreachable (the prompt hook found).
$global:_kops_mfa_needs_code = ''
$global:_kops_mfa_unreachable = ''
# The background renewal (a Process) and the session it renews.
$global:_kops_mfa_job = $null
$global:_kops_mfa_tried_key = ''
# The prompt lookup action is installed once (a second load would chain it to itself).
# Asked of the session state, not with Test-Path: a first cmdlet of a module
# loads that module, which costs the shell's start more than this whole file.
if ($null -eq $ExecutionContext.SessionState.PSVariable.Get('global:_kops_mfa_lookup_installed')) { $global:_kops_mfa_lookup_installed = $false }
# When the prompt hook last tried a renewal (epoch seconds).
$global:_kops_mfa_last_try = [long]0
# The kops application the wrapper runs, and the PATH it was found with.
$global:_kops_mfa_kops_exe = $null
$global:_kops_mfa_kops_path = ''

# The kops-mfa to run: the node and script of the kops-mfa that printed this
# text (`kops-mfa init` fills them in, so that a version manager's PATH cannot
# lose it), else kops-mfa on PATH; $null when there is none. An array: the
# program, then the arguments that come before kops-mfa's own.
function global:_kops_mfa_command {
    $kopsMfaNode = '' # kops-mfa init
    $kopsMfaScript = '' # kops-mfa init
    if ($kopsMfaNode -ne '' -and (Test-Path -LiteralPath $kopsMfaNode -PathType Leaf) -and
        (Test-Path -LiteralPath $kopsMfaScript -PathType Leaf)) {
        return , @($kopsMfaNode, $kopsMfaScript)
    }
    $kopsMfaExe = Get-Command -Name kops-mfa -CommandType Application, ExternalScript -ErrorAction Ignore |
        Select-Object -First 1
    if ($null -eq $kopsMfaExe) { return $null }
    return , @($kopsMfaExe.Source)
}

# Run kops-mfa with its stdout decoded as UTF-8; returns the lines of stdout.
# $LASTEXITCODE is kops-mfa's status (127 when there is none). Its stderr
# lines are kept in $global:_kops_mfa_stderr (not on Windows, where the code
# prompt is on stderr itself): shown after it ends, and on failure the last
# one becomes the error.
function global:_kops_mfa_run {
    param([object[]] $KopsMfaArgs, [switch] $Quiet)
    $ErrorActionPreference = 'Continue'
    $PSNativeCommandUseErrorActionPreference = $false
    $global:_kops_mfa_stderr = New-Object System.Collections.Generic.List[string]
    $kopsMfaCommand = _kops_mfa_command
    if ($null -eq $kopsMfaCommand) {
        $global:_kops_mfa_stderr.Add('kops-mfa is not on PATH (a different Node version?)')
        $global:LASTEXITCODE = 127
        return
    }
    $kopsMfaExe = $kopsMfaCommand[0]
    $kopsMfaArgs = @($kopsMfaCommand | Select-Object -Skip 1) + @($KopsMfaArgs)
    $kopsMfaEncoding = [Console]::OutputEncoding
    try {
        try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { }
        if ($Quiet) {
            & $kopsMfaExe @kopsMfaArgs 2>$null
        } elseif ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
            & $kopsMfaExe @kopsMfaArgs
        } else {
            & $kopsMfaExe @kopsMfaArgs 2>&1 | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) {
                    $global:_kops_mfa_stderr.Add([string] $_.Exception.Message)
                } else {
                    $_
                }
            }
        }
    } finally {
        try { [Console]::OutputEncoding = $kopsMfaEncoding } catch { }
    }
}

# kops-mfa <command> --shell powershell <options>, applied as the header
# says; $LASTEXITCODE is kops-mfa's status. Output that is not statements
# (help, version) is passed on, never run.
function global:_kops_mfa_apply {
    param([string] $Command, [object[]] $Options, [switch] $Quiet)
    $ErrorActionPreference = 'Continue'
    $kopsMfaOut = @(_kops_mfa_run -KopsMfaArgs (@($Command, '--shell', 'powershell') + @($Options)) -Quiet:$Quiet)
    $kopsMfaRc = $global:LASTEXITCODE
    if ($kopsMfaRc -ne 0) { return }
    foreach ($kopsMfaLine in $global:_kops_mfa_stderr) { [Console]::Error.WriteLine($kopsMfaLine) }
    if ($kopsMfaOut.Count -gt 0 -and $kopsMfaOut[0] -ceq $global:_kops_mfa_header) {
        # -join puts the lines back together exactly.
        Invoke-Expression -Command ($kopsMfaOut -join "`n")
        $global:LASTEXITCODE = $kopsMfaRc
    } elseif (-not $Quiet) {
        $kopsMfaOut
    }
}

# After a failed kops-mfa: its notes, then its last line as one error line
# "kops-login: <message>", with no script position (the form PowerShell
# gives a native command's error), so $? is $false and the rest of the
# command line does not run; $LASTEXITCODE stays kops-mfa's status.
function global:_kops_mfa_fail {
    param([string] $Name)
    $kopsMfaRc = $global:LASTEXITCODE
    $kopsMfaLines = @($global:_kops_mfa_stderr | Where-Object { $_ -ne '' })
    $kopsMfaMessage = "kops-mfa exited with status $kopsMfaRc"
    if ($kopsMfaLines.Count -gt 0) {
        foreach ($kopsMfaLine in ($kopsMfaLines | Select-Object -SkipLast 1)) { [Console]::Error.WriteLine($kopsMfaLine) }
        $kopsMfaMessage = $kopsMfaLines[-1] -replace '\Akops-mfa: ', ''
    }
    $kopsMfaError = New-Object System.Management.Automation.ErrorRecord (
        (New-Object System.Exception "${Name}: $kopsMfaMessage"),
        'NativeCommandErrorMessage', [System.Management.Automation.ErrorCategory]::NotSpecified, $kopsMfaRc)
    throw $kopsMfaError
}

# Whether the arguments ask for help (before any --).
function global:_kops_mfa_wants_help {
    foreach ($kopsMfaArg in $args) {
        if ($kopsMfaArg -ceq '--') { return $false }
        if ($kopsMfaArg -ceq '--help' -or $kopsMfaArg -ceq '-h') { return $true }
    }
    return $false
}

function global:kops-login {
    if (_kops_mfa_wants_help @args) {
        _kops_mfa_run -KopsMfaArgs @('complete', 'usage', 'login')
        foreach ($kopsMfaLine in $global:_kops_mfa_stderr) { [Console]::Error.WriteLine($kopsMfaLine) }
        return
    }
    _kops_mfa_apply -Command env -Options $args
    if ($global:LASTEXITCODE -ne 0) { _kops_mfa_fail -Name kops-login }
}

function global:kops-logout {
    if (_kops_mfa_wants_help @args) {
        _kops_mfa_run -KopsMfaArgs @('complete', 'usage', 'logout')
        foreach ($kopsMfaLine in $global:_kops_mfa_stderr) { [Console]::Error.WriteLine($kopsMfaLine) }
        return
    }
    _kops_mfa_apply -Command logout -Options $args
    if ($global:LASTEXITCODE -ne 0) { _kops_mfa_fail -Name kops-logout }
}

# Seconds left of this shell's own session, or $null when the shell holds
# none: the marker is set, the exported key is the one kops-mfa exported, and
# the expiry is a number of at most 11 digits, at most 36 h ahead.
function global:_kops_mfa_left {
    $kopsMfaExpires = [string] $env:KOPS_MFA_EXPIRES
    if ([string]::IsNullOrEmpty($env:KOPS_MFA_SESSION) -or
        [string]::IsNullOrEmpty($env:KOPS_MFA_KEY_ID) -or
        $env:KOPS_MFA_KEY_ID -cne $env:AWS_ACCESS_KEY_ID -or
        $kopsMfaExpires -cnotmatch '\A[0-9]{1,11}\z') {
        return $null
    }
    $kopsMfaLeft = [long] $kopsMfaExpires - [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    # More than 36 h ahead is no session kops-mfa made.
    if ($kopsMfaLeft -gt 129600) { return $null }
    return $kopsMfaLeft
}

# The reuse window in seconds; $null when KOPS_MFA_MIN_REMAINING is not whole
# minutes from 0 to 720 (kops-mfa then says why). Empty or unset is 5.
# Leading zeros are allowed.
function global:_kops_mfa_window {
    $kopsMfaMin = [string] $env:KOPS_MFA_MIN_REMAINING
    if ($kopsMfaMin -eq '') { $kopsMfaMin = '5' }
    if ($kopsMfaMin -cnotmatch '\A[0-9]+\z') { return $null }
    $kopsMfaMin = $kopsMfaMin.TrimStart('0')
    if ($kopsMfaMin -eq '') { $kopsMfaMin = '0' }
    if ($kopsMfaMin.Length -gt 3 -or [int] $kopsMfaMin -gt 720) { return $null }
    return 60 * [long] $kopsMfaMin
}

function global:kops_mfa_prompt {
    $kopsMfaLeft = _kops_mfa_left
    if ($null -eq $kopsMfaLeft) { return }
    if ($kopsMfaLeft -le 0) {
        $kopsMfaText = 'expired'
    } else {
        $kopsMfaMinutes = [Math]::Floor($kopsMfaLeft / 60)
        if ($kopsMfaMinutes -lt 60) {
            $kopsMfaText = '{0}m' -f $kopsMfaMinutes
        } else {
            $kopsMfaText = '{0}h{1:00}m' -f [Math]::Floor($kopsMfaMinutes / 60), ($kopsMfaMinutes % 60)
        }
    }
    if ($global:_kops_mfa_needs_code -ne '' -and $global:_kops_mfa_needs_code -ceq $env:KOPS_MFA_KEY_ID) {
        $kopsMfaText += ' needs code'
    } elseif ($global:_kops_mfa_unreachable -ne '' -and $global:_kops_mfa_unreachable -ceq $env:KOPS_MFA_KEY_ID) {
        $kopsMfaText += ' sts unreachable'
    }
    return $kopsMfaText
}

# Completion: kops-mfa complete <login|logout> <previous word> <current word>
# prints the candidates; each is inserted as one word, single-quoted unless
# it is plain.
Register-ArgumentCompleter -Native -CommandName kops-login, kops-logout -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $ErrorActionPreference = 'Continue'
    # The word under the cursor, as the parser reads it (a quote the user
    # opened is not part of it), and the last word that ends before it.
    $current = [string] $wordToComplete
    $start = $cursorPosition - $current.Length
    $elements = @($commandAst.CommandElements | Select-Object -Skip 1)
    foreach ($element in $elements) {
        if ($element.Extent.StartOffset -lt $cursorPosition -and $element.Extent.EndOffset -ge $cursorPosition) {
            $start = $element.Extent.StartOffset
            if ($element -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                $current = $element.Value
            }
        }
    }
    $previous = [string] $commandAst.GetCommandName()
    foreach ($element in $elements) {
        if ($element.Extent.EndOffset -lt $start) {
            if ($element -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                $previous = $element.Value
            } else {
                $previous = $element.Extent.Text
            }
        }
    }
    $verb = if ($commandAst.GetCommandName() -eq 'kops-logout') { 'logout' } else { 'login' }
    $candidates = @(_kops_mfa_run -KopsMfaArgs @('complete', $verb, $previous, $current) -Quiet)
    if ($global:LASTEXITCODE -ne 0) { return }
    foreach ($candidate in $candidates) {
        $text = [string] $candidate
        if ($text -eq '') { continue }
        if ($text -cmatch '\A--?[A-Za-z0-9][A-Za-z0-9-]*\z' -and $previous -ne '--profile') {
            $kind = [System.Management.Automation.CompletionResultType]::ParameterName
            $insert = $text
        } else {
            $kind = [System.Management.Automation.CompletionResultType]::ParameterValue
            if ($text -cmatch '\A[A-Za-z0-9_][A-Za-z0-9_./:=+@-]*\z') {
                $insert = $text
            } else {
                $insert = "'" + ($text -replace "(['‘’‚‛])", '$1$1') + "'"
            }
        }
        New-Object System.Management.Automation.CompletionResult $insert, $text, $kind, $text
    }
}

# Completion for kops-mfa itself: kops-mfa complete cli <words> <current>
# prints "candidate<TAB>description" lines for the words after kops-mfa
# (commands, their options, profile and shell names); the description is the
# tooltip.
Register-ArgumentCompleter -Native -CommandName kops-mfa -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $ErrorActionPreference = 'Continue'
    $current = [string] $wordToComplete
    $start = $cursorPosition - $current.Length
    $words = New-Object System.Collections.Generic.List[string]
    foreach ($element in @($commandAst.CommandElements | Select-Object -Skip 1)) {
        if ($element.Extent.EndOffset -lt $start) {
            if ($element -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                $words.Add($element.Value)
            } else {
                $words.Add($element.Extent.Text)
            }
        }
    }
    $words.Add($current)
    $lines = @(_kops_mfa_run -KopsMfaArgs (@('complete', 'cli') + $words.ToArray()) -Quiet)
    if ($global:LASTEXITCODE -ne 0) { return }
    foreach ($line in $lines) {
        $text = [string] $line
        if ($text -eq '') { continue }
        $tab = $text.IndexOf("`t")
        $candidate = if ($tab -ge 0) { $text.Substring(0, $tab) } else { $text }
        $tip = if ($tab -ge 0) { $text.Substring($tab + 1) } else { $candidate }
        if ($tip -eq '') { $tip = $candidate }
        if ($candidate -cmatch '\A--?[A-Za-z0-9][A-Za-z0-9-]*\z') {
            $kind = [System.Management.Automation.CompletionResultType]::ParameterName
            $insert = $candidate
        } else {
            $kind = [System.Management.Automation.CompletionResultType]::ParameterValue
            if ($candidate -cmatch '\A[A-Za-z0-9_][A-Za-z0-9_./:=+@-]*\z') {
                $insert = $candidate
            } else {
                $insert = "'" + ($candidate -replace "(['‘’‚‛])", '$1$1') + "'"
            }
        }
        New-Object System.Management.Automation.CompletionResult $insert, $candidate, $kind, $tip
    }
}

if ($env:KOPS_MFA_AUTO_REFRESH -eq '1' -or $env:KOPS_MFA_AUTO_REFRESH -eq 'prompt') {
    # While the session has more than the reuse window left, the real kops
    # runs at once: no kops-mfa start, no clock other than .NET's.
    function global:kops {
        $ErrorActionPreference = 'Continue'
        $PSNativeCommandUseErrorActionPreference = $false
        $kopsMfaLeft = _kops_mfa_left
        $kopsMfaWindow = _kops_mfa_window
        if ($null -eq $kopsMfaLeft -or $null -eq $kopsMfaWindow -or $kopsMfaLeft -le $kopsMfaWindow) {
            _kops_mfa_apply -Command env -Options @('--quiet')
            if ($global:LASTEXITCODE -ne 0) { _kops_mfa_fail -Name kops }
        }
        # The application, never this function again. Looking it up costs
        # about 10 ms, so it is kept until PATH changes.
        if ($null -eq $global:_kops_mfa_kops_exe -or $global:_kops_mfa_kops_path -cne $env:PATH) {
            $global:_kops_mfa_kops_exe = Get-Command -Name kops -CommandType Application -ErrorAction Ignore |
                Select-Object -First 1
            $global:_kops_mfa_kops_path = $env:PATH
        }
        if ($null -eq $global:_kops_mfa_kops_exe) {
            $global:LASTEXITCODE = 127
            $global:_kops_mfa_stderr = @('kops is not on PATH')
            _kops_mfa_fail -Name kops
        }
        & $global:_kops_mfa_kops_exe @args
    }
}

if ($env:KOPS_MFA_AUTO_REFRESH -eq 'prompt') {
    # Inside the reuse window (or expired), at most once a minute per session:
    # a renewal that never asks (--no-prompt) and prints nothing. It runs in
    # the background, so the prompt never waits for STS; it renews
    # kops-mfa's cache, and a later prompt takes the session from there (the
    # cache, with --min-remaining 0: no STS). Exit 5 (STS unreachable, retried the next minute)
    # and any other failure (a code is needed) are what kops_mfa_prompt says.
    function global:_kops_mfa_hook {
        $ErrorActionPreference = 'Continue'
        $kopsMfaJob = $global:_kops_mfa_job
        if ($null -ne $kopsMfaJob) {
            if (-not $kopsMfaJob.HasExited) { return }
            $kopsMfaRc = $kopsMfaJob.ExitCode
            $kopsMfaJob.Dispose()
            $global:_kops_mfa_job = $null
            $global:_kops_mfa_needs_code = ''
            $global:_kops_mfa_unreachable = ''
            if ($kopsMfaRc -eq 0) {
                # Renewed: take it from the cache, unless a kops-login replaced the session since.
                if ($env:KOPS_MFA_KEY_ID -ceq $global:_kops_mfa_tried_key) {
                    _kops_mfa_apply -Command env -Options @('--quiet', '--no-prompt', '--min-remaining', '0') -Quiet
                    if ($global:LASTEXITCODE -ne 0) { $global:_kops_mfa_needs_code = $global:_kops_mfa_tried_key }
                }
                $global:_kops_mfa_tried_key = [string] $env:KOPS_MFA_KEY_ID
            } elseif ($kopsMfaRc -eq 5) {
                $global:_kops_mfa_unreachable = $global:_kops_mfa_tried_key
            } else {
                $global:_kops_mfa_needs_code = $global:_kops_mfa_tried_key
            }
        }
        $kopsMfaLeft = _kops_mfa_left
        $kopsMfaWindow = _kops_mfa_window
        if ($null -eq $kopsMfaLeft -or $null -eq $kopsMfaWindow -or $kopsMfaLeft -gt $kopsMfaWindow) { return }
        $kopsMfaNow = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        if ($global:_kops_mfa_tried_key -ceq $env:KOPS_MFA_KEY_ID -and $kopsMfaNow - $global:_kops_mfa_last_try -lt 60) { return }
        $kopsMfaCommand = _kops_mfa_command
        if ($null -eq $kopsMfaCommand) { return }
        $global:_kops_mfa_last_try = $kopsMfaNow
        $global:_kops_mfa_tried_key = [string] $env:KOPS_MFA_KEY_ID
        $kopsMfaStart = New-Object System.Diagnostics.ProcessStartInfo
        $kopsMfaStart.FileName = $kopsMfaCommand[0]
        $kopsMfaQuoted = @($kopsMfaCommand | Select-Object -Skip 1 | ForEach-Object { '"' + $_ + '"' })
        $kopsMfaStart.Arguments = (@($kopsMfaQuoted) + @('env', '--shell', 'powershell', '--quiet', '--no-prompt')) -join ' '
        $kopsMfaStart.UseShellExecute = $false
        $kopsMfaStart.RedirectStandardInput = $true
        $kopsMfaStart.RedirectStandardOutput = $true
        $kopsMfaStart.RedirectStandardError = $true
        try {
            $kopsMfaJob = [System.Diagnostics.Process]::Start($kopsMfaStart)
            $kopsMfaJob.StandardInput.Close()
            # Read and dropped: the statements are taken from the cache later.
            $null = $kopsMfaJob.StandardOutput.ReadToEndAsync()
            $null = $kopsMfaJob.StandardError.ReadToEndAsync()
            $global:_kops_mfa_job = $kopsMfaJob
        } catch { }
    }

    # The hook, with the user's $LASTEXITCODE kept.
    function global:_kops_mfa_before_prompt {
        # The value, not the variable (Get-Variable gives the live variable).
        $kopsMfaHadRc = Test-Path -Path Variable:global:LASTEXITCODE
        $kopsMfaRc = if ($kopsMfaHadRc) { $global:LASTEXITCODE } else { $null }
        try { _kops_mfa_hook } catch { }
        if ($kopsMfaHadRc) {
            $global:LASTEXITCODE = $kopsMfaRc
        } else {
            Remove-Variable -Name LASTEXITCODE -Scope Global -ErrorAction Ignore
        }
    }

    # The prompt function in force now (PowerShell's default, or yours when
    # it is defined before this loads), with the hook before it. $? and
    # $LASTEXITCODE are the user's again when it runs.
    $global:_kops_mfa_user_prompt = $function:prompt
    function global:prompt {
        $kopsMfaOk = $?
        _kops_mfa_before_prompt
        if ($null -eq $global:_kops_mfa_user_prompt) { return 'PS> ' }
        if (-not $kopsMfaOk) { Write-Error -Message '' -ErrorAction Ignore }
        & $global:_kops_mfa_user_prompt
    }
    $global:_kops_mfa_prompt = $function:prompt

    # A prompt function defined after this text replaces the one above. The
    # host looks `prompt` up before each prompt, so the hook also runs from
    # that lookup whenever the prompt in force is not the one above (any
    # earlier lookup action still runs after it).
    if (-not $global:_kops_mfa_lookup_installed) {
        $global:_kops_mfa_lookup_installed = $true
        $global:_kops_mfa_lookup = $ExecutionContext.InvokeCommand.PostCommandLookupAction
        $ExecutionContext.InvokeCommand.PostCommandLookupAction = {
            param($kopsMfaName, $kopsMfaLookup)
            # Nothing is assigned before this test: an assignment would reset $?.
            if ($kopsMfaName -eq 'prompt' -and -not [object]::ReferenceEquals($function:prompt, $global:_kops_mfa_prompt)) {
                $kopsMfaOk = $?
                _kops_mfa_before_prompt
                if (-not $kopsMfaOk) { Write-Error -Message '' -ErrorAction Ignore }
            }
            if ($global:_kops_mfa_lookup -is [scriptblock]) { & $global:_kops_mfa_lookup $kopsMfaName $kopsMfaLookup }
        }
    }
}
