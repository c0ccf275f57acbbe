"""What a run leaves behind: Allure labels and result files, the HTML report, the summary."""
