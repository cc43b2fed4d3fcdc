# kops-mfa shell integration for PowerShell (Windows PowerShell 5.1 and
# PowerShell 7). In $PROFILE:
#
#   kops-mfa init powershell | Out-String | Invoke-Expression
#
# kops-login [options]   log in with MFA; sets the AWS_* session in this shell
# kops-logout [options]  forget the session; gives AWS_PROFILE back
# kops [args]            only with $env:KOPS_MFA_AUTO_REFRESH = '1' when this
#                        is loaded: kops-login, then the real kops
#
# kops-mfa prints statements only when everything succeeded; these functions
# run them only when kops-mfa exited 0, so a failure (wrong code, Ctrl-C at
# the prompt = 130, no network) changes nothing. PowerShell functions have no
# exit status: $LASTEXITCODE keeps kops-mfa's (and kops's) exit code.
#
# The statements only touch $env:, which is process-wide, so running them in
# the function's scope is enough. The functions are defined in the global
# scope (function global:…), so they outlive whatever scope runs this text.
# Inside them,
# $PSNativeCommandUseErrorActionPreference is turned off (PowerShell 7.3+):
# with it on and $ErrorActionPreference = 'Stop', a non-zero exit of kops-mfa
# would throw instead of being returned in $LASTEXITCODE.
#
# Arguments are passed as they are with PowerShell 7.3+; older versions may
# mangle arguments that contain double quotes.

# The output comes back as an array of lines; -join puts it back together
# exactly. Invoke-Expression refuses an empty string, hence the check.
function global:_kops_mfa_apply {
    param([string] $Command, [object[]] $Options)
    $PSNativeCommandUseErrorActionPreference = $false
    if (-not (Get-Command -Name kops-mfa -ErrorAction SilentlyContinue)) {
        Write-Error -Message 'kops-mfa: command not found'
        $global:LASTEXITCODE = 127
        return
    }
    $kopsMfaOut = & kops-mfa $Command --shell powershell @Options
    if ($LASTEXITCODE -ne 0) { return }
    $kopsMfaText = @($kopsMfaOut) -join "`n"
    if (-not [string]::IsNullOrWhiteSpace($kopsMfaText)) {
        Invoke-Expression -Command $kopsMfaText
    }
}

function global:kops-login {
    _kops_mfa_apply -Command env -Options $args
}

function global:kops-logout {
    _kops_mfa_apply -Command logout -Options $args
}

if ($env:KOPS_MFA_AUTO_REFRESH -eq '1') {
    # Always kops-login rather than comparing AWS_CREDENTIAL_EXPIRATION with
    # the clock here: the same rule in every shell (ISO-date arithmetic is not
    # portable across GNU and BSD date in the POSIX shells), and a kops-login
    # that reuses the cached session (more than 5 minutes left) costs one node
    # start-up and asks nothing; it prompts only when the session has really
    # ended.
    function global:kops {
        $PSNativeCommandUseErrorActionPreference = $false
        kops-login --quiet
        if ($LASTEXITCODE -ne 0) { return }
        # The application, never this function again.
        $kopsExe = Get-Command -Name kops -CommandType Application -ErrorAction SilentlyContinue |
            Select-Object -First 1
        if (-not $kopsExe) {
            Write-Error -Message 'kops: command not found'
            $global:LASTEXITCODE = 127
            return
        }
        & $kopsExe @args
    }
}
