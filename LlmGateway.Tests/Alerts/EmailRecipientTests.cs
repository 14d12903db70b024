using LlmGateway.Api.Alerts;

namespace LlmGateway.Tests.Alerting;

public sealed class EmailRecipientTests
{
    [Fact]
    public void TeamAdminsComeFromAlertEmailsAndAdminMembersWithAnEmail()
    {
        var admins = EmailAlertChannel.TeamAdmins(
            """{"alert_emails":["lead@team.example", 42]}""",
            """[{"role":"admin","user_id":"u1","user_email":"admin@team.example"},{"role":"user","user_email":"dev@team.example"},{"role":"admin","user_id":"u3"},{"role":"Admin","email":"boss@team.example"}]""");

        Assert.Equal(["lead@team.example", "admin@team.example", "boss@team.example"], admins);
    }

    [Fact]
    public void MalformedTeamJsonGivesNoTeamRecipientsInsteadOfFailing()
    {
        Assert.Empty(EmailAlertChannel.TeamAdmins("not json", "[]"));
    }
}
