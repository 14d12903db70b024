using System.Buffers;
using System.Text;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using Microsoft.AspNetCore.Http.Features;

namespace LlmGateway.Api.Proxy;

/// <summary>Writes to the client: the gateway's headers before the first byte, then SSE events flushed one by one.</summary>
public static class ClientResponse
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventPrefix = "event: "u8.ToArray();
    private static readonly byte[] Separator = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sets status and headers; nothing is sent until the first write.</summary>
    public static void Start(ProxyContext proxy, bool stream, string contentType = "application/json")
    {
        var response = proxy.Http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        var headers = response.Headers;
        headers.ContentType = stream ? "text/event-stream; charset=utf-8" : contentType;
        if (proxy.Deployment is { } deployment)
        {
            headers["x-gateway-provider"] = ProviderRegistry.Name(deployment.Provider);
            headers["x-gateway-deployment"] = deployment.Id;
        }

        headers["x-gateway-attempts"] = proxy.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers["x-gateway-cache"] = "miss";
        if (!stream && proxy.Usage is { } usage && proxy.Deployment is { } priced && proxy.CostOf?.Invoke(priced, usage) is { } cost)
        {
            headers["x-gateway-cost-usd"] = cost.ToString("0.##########", System.Globalization.CultureInfo.InvariantCulture);
        }
        headers["Server-Timing"] = proxy.Timings.ToServerTiming();
        if (stream)
        {
            headers.CacheControl = "no-cache";
            headers["X-Accel-Buffering"] = "no";
            proxy.Http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        }
    }

    public static void WriteRaw(HttpContext context, ReadOnlySequence<byte> raw)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client is gone: nothing to buffer
        }

        var writer = context.Response.BodyWriter;
        foreach (var segment in raw)
        {
            writer.Write(segment.Span);
        }
    }

    public static void WriteData(HttpContext context, string json)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client is gone: nothing to buffer
        }

        var writer = context.Response.BodyWriter;
        writer.Write(DataPrefix);
        Encoding.UTF8.GetBytes(json, writer);
        writer.Write(Separator);
    }

    public static void WriteData(HttpContext context, ReadOnlySpan<byte> json)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client is gone: nothing to buffer
        }

        var writer = context.Response.BodyWriter;
        writer.Write(DataPrefix);
        writer.Write(json);
        writer.Write(Separator);
    }

    public static void WriteEvent(HttpContext context, string name, string json)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client is gone: nothing to buffer
        }

        var writer = context.Response.BodyWriter;
        writer.Write(EventPrefix);
        Encoding.UTF8.GetBytes(name, writer);
        writer.Write("\n"u8);
        writer.Write(DataPrefix);
        Encoding.UTF8.GetBytes(json, writer);
        writer.Write(Separator);
    }

    public static void WriteDone(HttpContext context)
    {
        if (!context.RequestAborted.IsCancellationRequested)
        {
            context.Response.BodyWriter.Write(Done);
        }
    }

    /// <summary>Flushes; once the client is gone, nothing (a draining relay keeps reading the upstream for its usage).</summary>
    public static async ValueTask FlushAsync(HttpContext context)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client left mid-flush
        }
    }

    /// <summary>After the first byte, an error can only be an event in the stream, followed by a clean end.</summary>
    public static void WriteStreamError(HttpContext context, ClientFormat format, GatewayError error)
    {
        var json = Encoding.UTF8.GetString(ErrorWriter.ToBytes(error, format));
        if (format == ClientFormat.Anthropic)
        {
            WriteEvent(context, "error", json);
        }
        else
        {
            WriteData(context, json);
            WriteDone(context);
        }
    }
}
