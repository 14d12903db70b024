using System.Net;
using Microsoft.Extensions.Options;

namespace LlmGateway.Admin.Auth;

/// <summary>The sign-in form's decision: the secret's check behind the per-address and per-account limits, each attempt audited in the log.</summary>
public sealed partial class SignInGate(AdminCredentials credentials, SignInLimits limits, IOptionsMonitor<AdminAuthOptions> options, ILogger<SignInGate> logger)
{
    /// <summary>The method the secret matched, or null; <see cref="SignInResult.RetryAfter"/> is set when the attempt was locked out unchecked.</summary>
    public SignInResult Attempt(string? secret, IPAddress? client)
    {
        var address = client?.ToString() ?? "unknown";
        var settings = options.CurrentValue.SignIn;
        if (limits.LockedFor(address) is { } addressLocked)
        {
            LogAttempt(logger, "locked_out", address, "address");
            return new SignInResult(null, addressLocked);
        }

        var method = credentials.Verify(secret);
        // While the account is locked the admin password is not accepted; the master key (long and random) still is, to let operators in.
        if (method == AdminCredentials.PasswordMethod && limits.LockedFor(SignInLimits.Account) is { } accountLocked)
        {
            LogAttempt(logger, "locked_out", address, "account");
            return new SignInResult(null, accountLocked);
        }

        if (method is not null)
        {
            limits.Succeed(address);
            LogAttempt(logger, "succeeded", address, method);
            return new SignInResult(method, null);
        }

        LogAttempt(logger, "refused", address, "unknown secret");
        if (limits.Fail(address, settings.MaxFailuresPerAddress))
        {
            LogLockout(logger, "address", address, settings.LockoutDuration);
        }

        if (limits.Fail(SignInLimits.Account, settings.MaxFailuresPerAccount))
        {
            LogLockout(logger, "account", address, settings.LockoutDuration);
        }

        return new SignInResult(null, null);
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Admin sign-in {Outcome} from {ClientAddress} ({Detail})")]
    private static partial void LogAttempt(ILogger logger, string outcome, string clientAddress, string detail);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Admin sign-in lockout of the {Subject} after failures from {ClientAddress}, for {Duration}")]
    private static partial void LogLockout(ILogger logger, string subject, string clientAddress, TimeSpan duration);
}

public sealed record SignInResult(string? Method, TimeSpan? RetryAfter);
