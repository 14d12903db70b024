namespace LlmGateway.Api.Proxy;

/// <summary>
/// Every request gets the gateway's own id (<see cref="HttpContext.TraceIdentifier"/>): the identity of its counters,
/// reservations and ledger row, which a client can never choose. A client's own <c>x-request-id</c> (a plain token) is
/// only echoed back and stored for correlation; the gateway's id is then sent as <c>x-gateway-request-id</c>.
/// </summary>
public static class RequestIds
{
    public const string GatewayHeader = "x-gateway-request-id";
    private static readonly object ClientIdKey = new();

    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var id = NewId();
        context.TraceIdentifier = id;
        var incoming = context.Request.Headers["x-request-id"].ToString();
        if (IsPlainToken(incoming))
        {
            context.Items[ClientIdKey] = incoming;
            context.Response.Headers["x-request-id"] = incoming;
            context.Response.Headers[GatewayHeader] = id;
        }
        else
        {
            context.Response.Headers["x-request-id"] = id;
        }

        return next(context);
    });

    /// <summary>
    /// 128 random bits as 32 lowercase hex characters, the shape of a <c>Guid</c> "N". Not <see cref="Guid.NewGuid"/>: on Linux
    /// that reads the kernel's random device, a system call per request. An id is an identity, never a secret (no request
    /// is found by guessing one), so the runtime's per-thread generator, seeded from the OS, is enough to keep them unique.
    /// </summary>
    internal static string NewId()
    {
        Span<byte> bits = stackalloc byte[16];
        Random.Shared.NextBytes(bits);
        return Convert.ToHexStringLower(bits);
    }

    /// <summary>The client's own <c>x-request-id</c> when it sent a plain token; correlation only, never an identity.</summary>
    public static string? ClientIdOf(HttpContext context) => context.Items.TryGetValue(ClientIdKey, out var id) ? id as string : null;

    /// <summary>The ledger metadata of a request: the client's request id when it sent one (a plain token needs no escaping).</summary>
    public static string MetadataOf(HttpContext context) =>
        ClientIdOf(context) is { } client ? $$"""{"client_request_id":"{{client}}"}""" : "{}";

    private static bool IsPlainToken(string value)
    {
        if (value.Length is 0 or > 64)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
