using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Proxy;

/// <summary>The steps every proxy route shares before the upstream: authenticate, read and validate the body, find the model group.</summary>
public static class ProxyPipeline
{
    public delegate bool RequestReader<TRequest>(JsonBody body, out TRequest request, out GatewayError? error);

    public static async Task<(TRequest? Request, ProxyContext? Proxy)> AdmitAsync<TRequest>(
        HttpContext context, ProxyServices services, ClientFormat format, RequestReader<TRequest> read, Func<TRequest, string> model)
        where TRequest : class
    {
        var timings = new RequestTimings();
        if (!services.Auth.TryAuthenticate(context.Request, out _, out var error))
        {
            await ErrorWriter.WriteAsync(context, error!, format);
            return (null, null);
        }

        timings.EndAuth();
        var (body, tooLarge) = await RequestBody.ReadAsync(context, services.Options.MaxRequestBodyBytes);
        if (tooLarge is not null)
        {
            await ErrorWriter.WriteAsync(context, tooLarge, format);
            return (null, null);
        }

        if (!JsonBody.TryParse(body!.Memory, out var json, out error) || !read(json, out var request, out error))
        {
            await ErrorWriter.WriteAsync(context, error!, format);
            return (null, null);
        }

        if (!services.Catalog.TryGetGroup(model(request), out var group))
        {
            await ErrorWriter.WriteAsync(context, GatewayError.ModelNotFound(model(request)), format);
            return (null, null);
        }

        timings.EndLimits();
        timings.EndCache();
        return (request, new ProxyContext(context, format, group, timings));
    }
}
