namespace LlmGateway.Api.Tags;

public static class TagServices
{
    /// <summary>The tag table in memory (reloaded on change) and the reading of a request's tags.</summary>
    public static IHostApplicationBuilder AddTags(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TagOptions>().BindConfiguration("Gateway:Tags");
        builder.Services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<TagOptions>>().Value);
        Replication.ReplicatedTables.Register(builder.Services);
        builder.Services.AddSingleton<TagDirectory>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TagDirectory>());
        builder.Services.AddSingleton<RequestTagging>();
        return builder;
    }
}
