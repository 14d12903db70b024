using LlmGateway.Api.Configuration;
using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Configuration;

public class ModelCatalogTests
{
    private const string Yaml = """
        model_list:
          - model_name: chat
            litellm_params: { model: mock/unordered }
          - model_name: other
            litellm_params: { model: mock/other }
          - model_name: chat
            litellm_params: { model: mock/second, order: 2 }
          - model_name: chat
            litellm_params: { model: mock/first, order: 1 }
          - model_name: chat
            litellm_params: { model: mock/second-too, order: 2 }
        """;

    [Fact]
    public void GroupDeploymentsAreOrderedByOrderThenListPosition()
    {
        var catalog = new ModelCatalog(Load(Yaml).Config);

        Assert.True(catalog.TryGetGroup("chat", out var group));
        Assert.Equal(["first", "second", "second-too", "unordered"], group.Deployments.Select(d => d.ProviderModel));
    }

    [Fact]
    public void GroupsKeepTheOrderOfFirstAppearance()
    {
        var catalog = new ModelCatalog(Load(Yaml).Config);

        Assert.Equal(["chat", "other"], catalog.Groups.Select(g => g.Name));
    }

    [Fact]
    public void LookupIsCaseSensitive()
    {
        var catalog = new ModelCatalog(Load(Yaml).Config);

        Assert.False(catalog.TryGetGroup("Chat", out _));
        Assert.False(catalog.TryGetGroup("missing", out _));
    }
}
