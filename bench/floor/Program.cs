// bench/run.sh's "dotnet" target: a bare .NET forwarder — Kestrel in, HttpClient out, the body streamed through both ways
// — with nothing a gateway adds (no parsing, routing, auth, limits, usage events, metrics or logs). Its row is the floor any
// .NET gateway on the machine starts from, as the nginx hop's is for any proxy (docs/benchmarks.md).
// FLOOR_UPSTREAM: the fake upstream's base address; FLOOR_SLOW: the slow one's, for paths under /slow (as the nginx hop).
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var upstream = Environment.GetEnvironmentVariable("FLOOR_UPSTREAM") ?? throw new InvalidOperationException("FLOOR_UPSTREAM is not set");
var slow = Environment.GetEnvironmentVariable("FLOOR_SLOW") ?? upstream;
var client = new HttpClient(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
});

app.Run(async context =>
{
    var path = context.Request.Path.Value ?? "/";
    var target = path.StartsWith("/slow/", StringComparison.Ordinal) ? slow + path["/slow".Length..] : upstream + path;
    using var request = new HttpRequestMessage(HttpMethod.Parse(context.Request.Method), target);
    if (context.Request.ContentLength is not null || context.Request.Headers.TransferEncoding.Count > 0)
    {
        request.Content = new StreamContent(context.Request.Body);
        request.Content.Headers.ContentLength = context.Request.ContentLength;
        if (context.Request.ContentType is { } contentType)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
    }

    if (context.Request.Headers.Authorization.Count > 0)
    {
        request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
    }
    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
    context.Response.StatusCode = (int)response.StatusCode;
    context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
    await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
});

app.Run();
