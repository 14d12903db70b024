using System.Runtime.InteropServices;
using System.Security.Cryptography;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Keys;

namespace LlmGateway.Api.Auth;

/// <summary>Who is calling: the master key, or a virtual key (with its team).</summary>
public sealed record Caller(bool IsMaster, KeyRecord? Key = null)
{
    public static readonly Caller Master = new(true);
}

/// <summary>
/// Checks the caller's key. Keys are hashed with SHA-256 before any lookup or comparison (the master key with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>), so timing and error messages reveal nothing about a key,
/// and a key is never echoed.
/// </summary>
public sealed class GatewayAuthenticator(GatewayConfig config, KeyCache keys, AuthFailures failures)
{
    private readonly string? masterKeyHash = string.IsNullOrEmpty(config.MasterKey) ? null : VirtualKeyFormat.Hash(config.MasterKey);

    /// <summary>Refused keys: the metric, the per-IP limit and the ledger's sampling.</summary>
    public AuthFailures Failures { get; } = failures;

    /// <summary>The in-flight requests of each key, team and user, cut when one is blocked or deleted.</summary>
    public KeyRevocations Revocations => keys.Revocations;

    public async ValueTask<(Caller? Caller, GatewayError? Error)> AuthenticateAsync(HttpRequest request, CancellationToken ct)
    {
        var (caller, error, reason) = await CheckAsync(request, ct);
        if (reason is not null)
        {
            Failures.Record(request, reason);
        }

        return (caller, error);
    }

    /// <summary>The caller, or the error and the reason it is counted under (none for the per-IP 429, counted already).</summary>
    private async ValueTask<(Caller? Caller, GatewayError? Error, string? Reason)> CheckAsync(HttpRequest request, CancellationToken ct)
    {
        var key = ApiKeyReader.Read(request);
        if (string.IsNullOrEmpty(key))
        {
            return (null, GatewayError.InvalidApiKey("Missing API key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key')."), "missing_key");
        }

        var hash = VirtualKeyFormat.Hash(key);
        if (masterKeyHash is not null
            && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(hash.AsSpan()), MemoryMarshal.AsBytes(masterKeyHash.AsSpan())))
        {
            return (Caller.Master, null, null);
        }

        // An address past its failures this minute costs no lookup, except for a key cached or known to this replica's
        // directory (at most one lookup per real key): behind a load balancer every client shares one address, and one
        // client's wrong keys must not lock the others' real keys out (LeakAndCrossTenantAttackTests).
        var throttled = Failures.Throttled(request);
        KeyRecord? record;
        try
        {
            record = throttled is null || keys.Directory.Holds(hash) ? await keys.GetAsync(hash, ct) : keys.Cached(hash);
        }
        catch (KeyStoreUnavailableException)
        {
            // Neither Postgres nor a cached record young enough can vouch for the key (docs/security.md, revocation).
            return (null, KeyStoreUnavailable, null);
        }

        if (record is null)
        {
            return throttled is not null ? (null, throttled, null) : (null, GatewayError.InvalidApiKey("Invalid API key."), "invalid_key");
        }

        var now = DateTimeOffset.UtcNow;
        if (record.Blocked)
        {
            return (null, GatewayError.InvalidApiKey($"The key '{record.DisplayName}' is blocked."), "blocked");
        }

        if (record.TeamBlocked)
        {
            return (null, GatewayError.InvalidApiKey($"The team '{record.TeamAlias ?? record.TeamId}' of this key is blocked."), "blocked");
        }

        if (record.Expires is { } expires && expires <= now)
        {
            return (null, GatewayError.InvalidApiKey($"The key '{record.DisplayName}' expired at {expires:u}."), "expired");
        }

        if (record.GraceUntil is { } graceUntil && graceUntil <= now)
        {
            // The previous secret of a regenerated key, past its grace period (a record cached while it still had one).
            return (null, GatewayError.InvalidApiKey($"This secret of the key '{record.DisplayName}' was replaced; its grace period ended at {graceUntil:u}."), "expired");
        }

        return (new Caller(false, record), null, null);
    }

    private static readonly GatewayError KeyStoreUnavailable = new(StatusCodes.Status503ServiceUnavailable, "service_unavailable",
        "The gateway cannot check this API key right now (its key store is unreachable); retry shortly.", null, "key_check_unavailable")
    {
        RetryAfterSeconds = 5,
    };

    /// <summary>The management API: the master key only; a valid virtual key gets 403, anything else 401.</summary>
    public async ValueTask<GatewayError?> RequireMasterAsync(HttpRequest request, CancellationToken ct)
    {
        var (caller, error) = await AuthenticateAsync(request, ct);
        if (error is not null)
        {
            return error;
        }

        return caller!.IsMaster
            ? null
            : new GatewayError(StatusCodes.Status403Forbidden, "permission_denied",
                "The management API needs the master key; virtual keys may only call the proxy routes.", null, "management_requires_master_key");
    }
}
