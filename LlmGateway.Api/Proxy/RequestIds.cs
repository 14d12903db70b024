namespace LlmGateway.Api.Proxy;

/// <summary>Every response carries <c>x-request-id</c>: the client's own when it is a plain token, else a new one.</summary>
public static class RequestIds
{
    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var incoming = context.Request.Headers["x-request-id"].ToString();
        var id = IsPlainToken(incoming) ? incoming : Guid.NewGuid().ToString("N");
        context.TraceIdentifier = id;
        context.Response.Headers["x-request-id"] = id;
        return next(context);
    });

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
